"""The Firestore mirror app (docs/adr/0011): the outbox model, its triggers, the drain and repair."""

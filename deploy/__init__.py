"""The TicketCore cluster on one machine (network namespaces) and its configuration templates.
`python -m deploy.cluster --help`; docs/ha.md; docs/adr/0022."""

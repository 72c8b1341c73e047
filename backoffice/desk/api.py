"""`POST /api/v1/events/{event_id}/emails`: send a buyer their sold tickets (staff). The one
endpoint the sales desk needed that the contract lacked (issue 18 item 3); the rest of the desk
uses the virtual office's endpoints as an organiser's web shop would (docs/adr/0032)."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.desk.mail import MAX_TICKETS_PER_EMAIL, NotSold, send_tickets
from core import schema
from events.models import Language
from tickets.holds import TICKET_ID_MAX_LENGTH
from tickets.holds_api import StrictCharField


class EmailInSerializer(serializers.Serializer):
    to = serializers.EmailField(max_length=254, help_text="the buyer's email address")
    tickets = serializers.ListField(child=StrictCharField(max_length=TICKET_ID_MAX_LENGTH), allow_empty=False,
                                    max_length=MAX_TICKETS_PER_EMAIL,
                                    help_text=f"ticket_ids of this event, all sold (1 to {MAX_TICKETS_PER_EMAIL})")
    name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="",
                                 help_text="the buyer's name, for the greeting")
    language = serializers.ChoiceField(choices=Language.values, required=False, allow_null=True, default=None,
                                       help_text="the language of the email; by default the event's `language`")

    def validate_tickets(self, value):
        if len(set(value)) != len(value):
            raise serializers.ValidationError("Duplicate ticket ids.")
        return value


EmailOut = inline_serializer("TicketsEmailed", {
    "event_id": serializers.CharField(), "to": serializers.EmailField(),
    "tickets": serializers.ListField(child=serializers.CharField()), "sent_at": serializers.DateTimeField(),
})


class EmailTicketsView(APIView):
    @extend_schema(
        operation_id="v1_events_emails_create",
        request=EmailInSerializer,
        summary="Email sold tickets to their buyer (one message, the printed tickets attached as a PDF)",
        description=(
            "Sends one email through the server's mail settings: a text listing each ticket (zone, seat, row, "
            "`reference`, the event's local date and time) and the tickets as an A4 PDF, the document of "
            "`GET /api/v1/events/{event_id}/tickets.pdf`, in the event's `language` unless `language` is given. "
            "Only sold tickets can be sent (409 `not_sold`, listing them). The answer comes once the mail server "
            "has accepted the message; 503 `mail_unavailable` if it did not (nothing is retried behind the "
            "caller's back: hand over the PDF or try again). Nothing is written."),
        responses={
            200: EmailOut,
            400: schema.error("Malformed request.",
                              ("bad address", "invalid", "Invalid input: to: Enter a valid email address.",
                               {"to": ["Enter a valid email address."]})),
            404: schema.error("No such event, or listed tickets that are not this event's.",
                              ("unknown event", "not_found", "No such event.", {}),
                              ("other tickets", "unknown_tickets", "Not tickets of this event: X-1.",
                               {"tickets": ["Not tickets of this event."]}, {"tickets": ["X-1"]})),
            409: schema.error("Some tickets are not sold; nothing was sent.",
                              ("unsold", NotSold.code, "Only sold tickets can be sent: some of these tickets are "
                               "not sold.", {}, {"tickets": [schema.TICKET_ID]})),
            503: schema.error("The mail server did not accept the message.",
                              ("mail server down", "mail_unavailable", "The email could not be sent: the mail "
                               "server did not accept it. Try again, or hand over the PDF.", {})),
        },
        examples=[OpenApiExample("two tickets", request_only=True, value={
            "to": "ada@example.com", "name": "Ada Lovelace",
            "tickets": [schema.TICKET_ID, f"{schema.EVENT_ID}-Lm3Zp8Qd2Rx6Wc9Tb1Vk"]})],
    )
    def post(self, request, event_id: str):
        data = EmailInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        sent = send_tickets(event_id=event_id, ticket_ids=v["tickets"], to=v["to"], name=v["name"].strip(),
                            language=v["language"], actor=request.user.get_username())
        return Response({"event_id": sent.event_id, "to": sent.to, "tickets": sent.tickets,
                         "sent_at": sent.sent_at.isoformat()})

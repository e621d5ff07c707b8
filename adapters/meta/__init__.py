"""What Meta's two channels share (Messenger and WhatsApp Cloud): the webhook handshake,
the X-Hub-Signature-256 check, and Graph API errors as typed send errors."""

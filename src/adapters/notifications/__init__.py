"""Real channels for notifications: e-mail over SMTP, SMS and push through HTTP webhooks."""

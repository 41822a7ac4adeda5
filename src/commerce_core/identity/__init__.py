"""Identity: users, their roles and credentials."""

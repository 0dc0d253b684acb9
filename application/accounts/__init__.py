"""The registration example: accounts, their users and invitations."""

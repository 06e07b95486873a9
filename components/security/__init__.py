"""Security: secrets, SOPS keys, the namespace baseline and private access to the API."""

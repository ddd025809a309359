"""Cinder's services: the API-side engines and the schedulers, volume and backup managers."""

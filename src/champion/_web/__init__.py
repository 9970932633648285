"""Web: the dashboard and the gateway, ASGI apps over the store and the Router."""

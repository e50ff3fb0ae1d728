"""Project configuration: settings, URLs, WSGI/ASGI, gunicorn."""

"""The interactive API documentation (Swagger UI at ``/docs``, ReDoc at ``/redoc``), served with its assets from
the hub itself, so an offline hub shows it too."""

"""Views of the projects app, one module per area; access rules live in projects.access."""

"""Code shared by two or more tf1-suite tasks."""

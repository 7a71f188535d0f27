"""One plain function per CLI command; each returns an exit code (0 complete, 1 incomplete, 2 error)."""

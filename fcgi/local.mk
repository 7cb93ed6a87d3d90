# fcgi/: see README.md

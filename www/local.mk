# www/: see README.md

# apache/: see README.md

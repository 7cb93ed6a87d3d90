# gateway/: see README.md

# feeder/: see README.md

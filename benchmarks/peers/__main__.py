"""`python -m benchmarks.peers`: see the package's docstring."""

from benchmarks.peers import main

main()

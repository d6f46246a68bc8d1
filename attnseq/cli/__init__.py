"""The ``attnseq`` command line: one module per subcommand."""

"""Report writers: pure functions of one neutral result document."""

"""Input data: the data dictionary, finding export files, and the Python readers that type what the engine does not read itself."""

"""Drop-in replacements for the classes of the systems farmhand replaces."""

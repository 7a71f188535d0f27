"""The rule data notecheck ships: JSON files, read through importlib.resources (this file only makes the folder a package)."""

"""Organization units (a tree per company) and positions."""

"""Users: the people of a company, their credentials and reset codes."""

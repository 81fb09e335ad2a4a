"""The race: the surface, the runs, the player and the lessons that explain them."""

"""The shipped .cube looks and the recipes that generate them."""

"""housebot: looks after official social media accounts and enforces the house rules."""

"""Orders, money, points and the state machine: plain Python, nothing from AWS, pynamodb or requests."""

"""The checkout's domain core: the Lambda layer every function imports."""

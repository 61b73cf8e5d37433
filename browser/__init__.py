"""The corpus browser: a read-only web app over the store (`seedflow ui`). Imports only `storage`."""

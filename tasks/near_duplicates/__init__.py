"""Near-duplicate detection: MinHash signatures and LSH bands (`signatures`), the pure
clustering decisions (`clustering`), what is read from the index to make them (`lookup`),
and how the index follows a batch's writes (`index`). The store only persists the result."""

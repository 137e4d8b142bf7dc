"""The parts of a Distributed Map: reading items from S3, batching them, writing results to S3."""

"""Amazon Bedrock batch inference at scale, on AWS or fully offline."""

__version__ = "0.1.0"

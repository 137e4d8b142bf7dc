"""The offline runtime: a Step Functions interpreter for JSONata ASL and a Bedrock batch simulator.

Everything here follows the AWS Step Functions Developer Guide and the Amazon Bedrock User Guide; the
conformance suite in ``tests/runtime/`` cites the page behind each behaviour.
"""

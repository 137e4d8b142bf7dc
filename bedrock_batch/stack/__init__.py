"""The SAM stack offline: ``template.yaml`` read, its resources created in moto, its rules routed to the runtime.

Nothing about the stack is written here twice: names, parameters, substitutions and event patterns all come
from the template.
"""

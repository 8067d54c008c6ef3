"""sharedhash: share hashes of known abuse material between platforms so each can identify, remove, report and deter."""

__version__ = "0.1.0"

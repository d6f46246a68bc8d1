"""User-facing errors.

Anything a user can cause (a bad config key, a malformed data file, a checkpoint
that does not match) raises an :class:`AttnseqError` whose message names the
file, line or key. The command line turns it into exit code 2 and one line on
stderr; library users catch it like any exception.
"""


class AttnseqError(Exception):
    """An error caused by user input, with a message fit to show as is."""


class ConfigError(AttnseqError):
    """A configuration file or override is invalid."""


class DataError(AttnseqError):
    """A data file or data set is missing, malformed or fails its checksum."""


class CheckpointError(AttnseqError):
    """A checkpoint is missing, corrupt, or does not match the model."""


class DistributedError(AttnseqError):
    """A process of a multi-process job stopped or cannot be reached."""

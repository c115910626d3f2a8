__version__ = "0.0.1"

from .env import register as _register
_register()  # gymnasium.make("pamoe/ABR-v0", ...) works after `import pamoe`

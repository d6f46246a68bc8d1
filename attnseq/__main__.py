import sys

from attnseq.cli.main import main

sys.exit(main())

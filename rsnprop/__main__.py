from rsnprop.cli import main

raise SystemExit(main())

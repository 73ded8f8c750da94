from ec112.cli import main

main()

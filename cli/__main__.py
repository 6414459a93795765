from cinegrade.cli.main import main

main()

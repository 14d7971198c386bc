"""Side-by-side facts about two images: size, packages, programs, setuid files, shells, user."""

/// Words the seeder draws from. Fixed and ASCII, so emails built from them stay valid.
enum FakeNames {
    static let first = [
        "Ada", "Alan", "Grace", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Frances", "Edsger", "Radia",
        "Donald", "Hedy", "John", "Katherine", "Tim", "Sophie", "Guido", "Anita", "Bjarne", "Shafi", "James",
        "Lynn", "Niklaus", "Mary", "Claude", "Joan", "Leslie", "Karen", "Vint", "Annie", "Bob", "Carol", "Dan",
        "Erin", "Frank", "Gina", "Hugo", "Ines", "Jonas", "Lena", "Marco", "Nora", "Omar", "Paula", "Rosa",
    ]
    static let last = [
        "Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson", "Allen",
        "Dijkstra", "Perlman", "Knuth", "Lamarr", "McCarthy", "Johnson", "Lee", "Wilson", "Rossum", "Borg",
        "Stroustrup", "Goldwasser", "Gosling", "Conway", "Wirth", "Keller", "Shannon", "Clarke", "Lamport",
        "Jones", "Cerf", "Easley", "Smith", "Miller", "Garcia", "Martin", "Schmidt", "Rossi", "Dubois", "Novak",
        "Silva", "Kowalski", "Jensen", "Berg", "Moreau", "Weber", "Costa",
    ]
    static let streets = [
        "Main Street", "High Street", "Station Road", "Church Lane", "Park Avenue", "Mill Road", "King Street",
        "Queen Street", "Elm Street", "Oak Avenue", "Lake View", "Market Square", "River Walk", "Hill Road",
    ]
    static let cities: [(city: String, country: String)] = [
        ("Berlin", "de"), ("Hamburg", "de"), ("Paris", "fr"), ("Lyon", "fr"), ("Madrid", "es"), ("Rome", "it"),
        ("Vienna", "at"), ("Amsterdam", "nl"), ("Copenhagen", "dk"), ("Stockholm", "se"), ("London", "gb"),
        ("Dublin", "ie"), ("New York", "us"), ("Chicago", "us"), ("Toronto", "ca"), ("Lisbon", "pt"),
    ]
}

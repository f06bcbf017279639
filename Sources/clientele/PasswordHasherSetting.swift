import Passwords

/// PASSWORD_SCRYPT_LOG_N (default 15: N = 2^15, r = 8, p = 1) sets the cost of new hashes.
/// UNSAFE_FAST_PASSWORD_HASH=on replaces scrypt by one SHA-256: only for benchmarks comparing the HTTP and
/// INSERT path with peers that do the same; never in production.
enum PasswordHasherSetting {
    static func read(_ environment: Environment) -> PasswordHasher {
        if environment.bool(.unsafeFastPasswordHash, default: false) {
            return PasswordHasher(scheme: .unsafeFastSHA256)
        }
        let logN = environment.int(.passwordScryptLogN, default: 15, range: 10...20)
        return PasswordHasher(scheme: .scrypt(logN: logN, r: 8, p: 1))
    }
}

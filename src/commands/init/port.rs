//! A service's port, as its container file or `snapset.port` states it.
//! Only a literal number is taken: `EXPOSE $PORT` names a port the build
//! decides, which snapset cannot know, and a wrong guess would put a
//! Service in front of a port nothing listens on.

/// The first literal port of the `EXPOSE` lines (`EXPOSE 8080`,
/// `expose 8080/tcp 9090`), if it is a literal number.
pub fn from_containerfile(text: &str) -> Option<u16> {
    text.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        let instruction = words.next()?;
        if !instruction.eq_ignore_ascii_case("EXPOSE") {
            return None;
        }
        let first = words.next()?;
        let number = first.split('/').next().unwrap_or(first);
        number.parse::<u16>().ok().filter(|&p| p > 0)
    })
}

/// The content of a `snapset.port` file: one port number (whitespace and
/// a trailing newline allowed).
pub fn from_hint(text: &str) -> Option<u16> {
    text.trim().parse::<u16>().ok().filter(|&p| p > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_literal_exposed_ports_only() {
        assert_eq!(from_containerfile("FROM x\nEXPOSE 8080\n"), Some(8080));
        assert_eq!(from_containerfile("expose 9090/tcp 80\n"), Some(9090));
        assert_eq!(from_containerfile("  EXPOSE   53/udp\n"), Some(53));
        assert_eq!(from_containerfile("EXPOSE $PORT\n"), None);
        assert_eq!(from_containerfile("FROM x\n# EXPOSE 80\n"), None);
        assert_eq!(from_containerfile("EXPOSE 0\nEXPOSE 80\n"), Some(80));
        assert_eq!(from_hint(" 8080\n"), Some(8080));
        assert_eq!(from_hint("http"), None);
    }
}

//! A tiny HTTP server on 127.0.0.1 for what a real registry will not do on
//! demand: answer 429 once, hand out Bearer tokens. Each connection gets one
//! answer and is closed; every request head is kept for the test to read.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

pub struct HttpStub {
    pub port: u16,
    /// Requests (request line, headers, blank line, body), in arrival order.
    pub requests: Arc<Mutex<Vec<String>>>,
}

impl HttpStub {
    /// Serves forever (the thread ends with the test process); `answer`
    /// gets the request head and its index and returns the whole response.
    pub fn start(answer: impl Fn(&str, usize) -> String + Send + 'static) -> HttpStub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    head.push_str(&line);
                }
                // The body too, so that closing the connection resets nothing.
                let length = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse().ok())?
                    })
                    .unwrap_or(0usize);
                let mut body = vec![0; length];
                let _ = std::io::Read::read_exact(&mut reader, &mut body);
                head.push_str("\r\n");
                head.push_str(&String::from_utf8_lossy(&body));
                let index = {
                    let mut log = log.lock().unwrap();
                    log.push(head.clone());
                    log.len() - 1
                };
                let _ = stream.write_all(answer(&head, index).as_bytes());
            }
        });
        HttpStub { port, requests }
    }

    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// A response with `Connection: close`, so each request comes on a new connection.
pub fn response(status: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(body);
    out
}

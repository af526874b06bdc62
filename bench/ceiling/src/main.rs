//! ceiling --port P --status N [--header "name: value"]... --body FILE [--workers N]
//!
//! Answers every request, whatever its method and path, with the status,
//! headers and body given: the bytes artifactd answered for one benchmark
//! shape, captured by bench.py in the same run. The request body is read in
//! full before answering (artifactd reads it too); nothing else happens, so
//! wrk against this server measures HTTP, actix-web and the network stack
//! alone: the most any server on this framework could do for that answer.
//!
//! Same server settings as artifactd's (`src/startup.rs`): one worker per
//! core unless --workers says otherwise, 75 s keep-alive. `date` and
//! `content-length` are written by actix-web itself, as for artifactd.

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, App, HttpResponse, HttpServer};
use std::time::Duration;

struct Answer {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: web::Bytes,
}

fn usage(msg: &str) -> ! {
    eprintln!("ceiling: {msg}\nusage: ceiling --port P --status N [--header 'name: value']... --body FILE [--workers N]");
    std::process::exit(2);
}

fn parse_args() -> (u16, usize, Answer) {
    let mut args = std::env::args().skip(1);
    let (mut port, mut status, mut body, mut headers) = (None, None, None, Vec::new());
    let mut workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| usage(&format!("{a} needs a value")));
        match a.as_str() {
            "--port" => port = Some(val().parse::<u16>().unwrap_or_else(|_| usage("bad --port"))),
            "--workers" => workers = val().parse::<usize>().unwrap_or_else(|_| usage("bad --workers")).max(1),
            "--status" => {
                let n = val().parse::<u16>().unwrap_or_else(|_| usage("bad --status"));
                status = Some(StatusCode::from_u16(n).unwrap_or_else(|_| usage("bad --status")));
            }
            "--header" => {
                let h = val();
                let (name, value) = h.split_once(':').unwrap_or_else(|| usage("--header wants 'name: value'"));
                let name = HeaderName::from_bytes(name.trim().as_bytes()).unwrap_or_else(|_| usage("bad header name"));
                let value = HeaderValue::from_str(value.trim()).unwrap_or_else(|_| usage("bad header value"));
                headers.push((name, value));
            }
            "--body" => {
                let path = val();
                body = Some(std::fs::read(&path).unwrap_or_else(|e| usage(&format!("cannot read {path}: {e}"))));
            }
            other => usage(&format!("unknown argument {other}")),
        }
    }
    let answer = Answer {
        status: status.unwrap_or_else(|| usage("--status is required")),
        headers,
        body: web::Bytes::from(body.unwrap_or_else(|| usage("--body is required"))),
    };
    (port.unwrap_or_else(|| usage("--port is required")), workers, answer)
}

async fn answer(a: web::Data<Answer>, _body: web::Bytes) -> HttpResponse {
    let mut r = HttpResponse::build(a.status);
    for (name, value) in &a.headers {
        r.insert_header((name.clone(), value.clone()));
    }
    // Bytes clones share the buffer: no copy per request.
    r.body(a.body.clone())
}

fn main() -> std::io::Result<()> {
    let (port, workers, a) = parse_args();
    let a = web::Data::new(a);
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            App::new()
                .app_data(a.clone())
                .app_data(web::PayloadConfig::new(16 * 1024 * 1024))
                .default_service(web::to(answer))
        })
        .keep_alive(Duration::from_secs(75))
        .workers(workers)
        .bind(("127.0.0.1", port))?
        .run()
        .await
    })
}

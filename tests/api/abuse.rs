//! Abuse that rate limits alone do not stop (DESIGN §8, §13): failing look-ups with
//! someone's document to lock them out, hoarding a day with holds from a few addresses,
//! squatting another client's Idempotency-Key, and clients that multiply themselves
//! with IPv6 addresses or a forged `X-Forwarded-For`. Limits live in this process, so
//! these run on SQLite only.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use cita::limits::{LimitSettings, Rate};
use serde_json::{Value, json};

use crate::common::*;
use crate::surge::{header, limits, post_from, protected};

/// A POST from `address` (IPv4 or IPv6) with extra headers.
fn post_from_with(
    address: &str,
    path: &str,
    body: &Value,
    headers: &[(&str, &str)],
) -> Request<Body> {
    let ip: std::net::IpAddr = address.parse().unwrap();
    let mut request = Request::post(path).header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut request = request.body(Body::from(body.to_string())).unwrap();
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::new(ip, 40000)));
    request
}

fn hold_body(start: &str) -> Value {
    json!({"office_id": MADRID, "service_id": HUELLAS, "start": start})
}

/// Tuesday 2027-03-02 in Madrid at `hh:mm`.
fn tuesday(time: &str) -> String {
    format!("2027-03-02T{time}:00+01:00")
}

#[tokio::test]
async fn failed_lookups_from_one_address_do_not_lock_the_owner_out() {
    let settings = LimitSettings {
        document: Rate {
            per_minute: 6,
            burst: 3,
        },
        ..limits()
    };
    let app = protected(settings, false).await;
    let owner = dni(4242);
    let booked = app
        .send(post_from(
            "10.0.0.5",
            "/api/v1/appointments",
            &BookReq::new(MADRID, HUELLAS, &tuesday("09:00"), &owner).json(),
        ))
        .await
        .ok(201);
    // An attacker fails 50 look-ups with the owner's document and guessed locators.
    let mut limited = 0;
    for n in 0..50 {
        let guess = format!("{:08}", 10_000_000 + n);
        let answer = app
            .send(post_from(
                "10.0.0.66",
                "/api/v1/appointments/lookup",
                &json!({"locator": guess, "document": owner}),
            ))
            .await;
        match answer.status.as_u16() {
            404 => {}
            429 => {
                answer.problem(429, "rate_limited");
                assert!(!header(&answer, "retry-after").is_empty());
                limited += 1;
            }
            other => panic!("look-up {n}: {other} {}", answer.text()),
        }
    }
    // The attacker's own failures stopped them (the route's budget here is 600/min).
    assert!(
        limited >= 40,
        "only {limited} of 50 failed look-ups limited"
    );
    // The owner, from their own address, still looks up and books.
    let found = app
        .send(post_from(
            "10.0.0.5",
            "/api/v1/appointments/lookup",
            &json!({"locator": booked["locator"], "document": owner}),
        ))
        .await
        .ok(200);
    assert_eq!(found["locator"], booked["locator"]);
    app.send(post_from(
        "10.0.0.5",
        "/api/v1/appointments",
        &BookReq::new(MADRID, ASILO, &tuesday("12:00"), &owner).json(),
    ))
    .await
    .ok(201);
}

#[tokio::test]
async fn a_locator_guessed_from_many_addresses_is_limited_per_locator() {
    let app = protected(limits(), false).await;
    let booked = app
        .send(post_from(
            "10.0.0.5",
            "/api/v1/appointments",
            &BookReq::new(MADRID, HUELLAS, &tuesday("09:00"), &dni(4343)).json(),
        ))
        .await
        .ok(201);
    let locator = booked["locator"].as_str().unwrap().to_lowercase();
    // A distributed guess of the document: one try per address.
    let mut statuses = vec![];
    for n in 0..12u32 {
        let answer = app
            .send(post_from(
                &format!("10.1.0.{n}"),
                "/api/v1/appointments/lookup",
                &json!({"locator": locator, "document": dni(5000 + n)}),
            ))
            .await;
        statuses.push(answer.status.as_u16());
    }
    let failures = LimitSettings::default().failed_lookups_per_locator.burst as usize;
    assert!(
        statuses[..failures].iter().all(|s| *s == 404),
        "{statuses:?}"
    );
    assert!(
        statuses[failures..].iter().all(|s| *s == 429),
        "{statuses:?}"
    );
    // Other locators are not affected.
    app.send(post_from(
        "10.1.0.99",
        "/api/v1/appointments/lookup",
        &json!({"locator": "ZZZZZZZZ", "document": dni(1)}),
    ))
    .await
    .problem(404, "not_found");
}

#[tokio::test]
async fn live_holds_are_capped_per_client_so_a_few_addresses_cannot_hoard_a_day() {
    let app = protected(limits(), false).await;
    // Seven addresses try to hold every start of a morning (two desks, 15 minutes).
    let starts: Vec<String> = (9..14)
        .flat_map(|h| [0, 15, 30, 45].map(move |m| tuesday(&format!("{h:02}:{m:02}"))))
        .collect();
    let mut held = 0;
    for n in 0..7 {
        for start in &starts {
            let answer = app
                .send(post_from(
                    &format!("10.2.0.{n}"),
                    "/api/v1/holds",
                    &hold_body(start),
                ))
                .await;
            match answer.status.as_u16() {
                201 => held += 1,
                409 => {
                    let code = answer.json()["code"].clone();
                    assert!(
                        code == "hold_limit_reached" || code == "slot_unavailable",
                        "{code}"
                    );
                }
                other => panic!("{other}: {}", answer.text()),
            }
        }
    }
    assert_eq!(held, 7 * LimitSettings::default().holds_per_client);
    // An eighth person still finds the morning open.
    app.send(post_from(
        "10.2.0.99",
        "/api/v1/holds",
        &hold_body(&tuesday("12:00")),
    ))
    .await
    .ok(201);
}

#[tokio::test]
async fn ipv6_clients_are_one_client_per_64() {
    let app = protected(limits(), false).await;
    // Two addresses of one /64 share the live-holds cap; another /64 is another client.
    for (address, start, status) in [
        ("2001:db8:7:1::1", "09:00", 201),
        ("2001:db8:7:1::2", "09:15", 201),
        ("2001:db8:7:1:ffff::3", "09:30", 409),
        ("2001:db8:7:2::1", "09:30", 201),
    ] {
        let answer = app
            .send(post_from_with(
                address,
                "/api/v1/holds",
                &hold_body(&tuesday(start)),
                &[],
            ))
            .await;
        assert_eq!(
            answer.status.as_u16(),
            status,
            "{address}: {}",
            answer.text()
        );
    }
}

#[tokio::test]
async fn behind_a_proxy_a_forged_or_malformed_forwarded_for_is_not_a_new_client() {
    let app = protected(limits(), true).await;
    // The proxy (peer 10.9.9.9) appends the real client, 192.0.2.10; what the client
    // wrote to the left changes nothing.
    for (forwarded, start, status) in [
        ("1.1.1.1, 192.0.2.10", "09:00", 201),
        ("2.2.2.2, 192.0.2.10", "09:15", 201),
        ("3.3.3.3, 192.0.2.10", "09:30", 409),
        // Malformed: the peer (the proxy) is the client, never the entry to the left.
        ("4.4.4.4, not-an-address", "09:45", 201),
        ("5.5.5.5, ", "10:00", 201),
        ("6.6.6.6, garbage", "10:15", 409),
    ] {
        let answer = app
            .send(post_from_with(
                "10.9.9.9",
                "/api/v1/holds",
                &hold_body(&tuesday(start)),
                &[("x-forwarded-for", forwarded)],
            ))
            .await;
        assert_eq!(
            answer.status.as_u16(),
            status,
            "{forwarded}: {}",
            answer.text()
        );
    }
}

#[tokio::test]
async fn an_idempotency_key_belongs_to_the_client_that_sent_it() {
    let settings = LimitSettings {
        document: Rate {
            per_minute: 6,
            burst: 3,
        },
        ..limits()
    };
    let app = protected(settings, false).await;
    let key = [("idempotency-key", "shared-key-1")];
    let first = BookReq::new(MADRID, HUELLAS, &tuesday("09:00"), &dni(61)).json();
    let booked = app
        .send(post_from_with(
            "10.3.0.1",
            "/api/v1/appointments",
            &first,
            &key,
        ))
        .await
        .ok(201);
    // Another client squats the same key with its own request: a booking of its own,
    // not "key reused", and never the first client's appointment.
    let second = BookReq::new(MADRID, HUELLAS, &tuesday("09:15"), &dni(62)).json();
    let other = app
        .send(post_from_with(
            "10.3.0.2",
            "/api/v1/appointments",
            &second,
            &key,
        ))
        .await
        .ok(201);
    assert_ne!(other["locator"], booked["locator"]);
    // Replaying the first client's exact request from elsewhere gets no replay either.
    let replay = app
        .send(post_from_with(
            "10.3.0.3",
            "/api/v1/appointments",
            &first,
            &key,
        ))
        .await;
    replay.problem(409, "citizen_limit_reached");
    assert!(!replay.text().contains(booked["locator"].as_str().unwrap()));
    // The first client's retry is still its replay.
    let again = app
        .send(post_from_with(
            "10.3.0.1",
            "/api/v1/appointments",
            &first,
            &key,
        ))
        .await
        .ok(201);
    assert_eq!(again["locator"], booked["locator"]);
}

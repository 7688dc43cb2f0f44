//! The texts of the messages the Order sends: Italian, then English.

use registry::Member;
use store::registry::StoredOrder;

pub struct Text {
    pub subject: String,
    pub body: String,
}

pub fn login(order: &StoredOrder, member: &Member, link: &str) -> Text {
    let minutes = super::LINK_VALIDITY.as_secs() / 60;
    Text {
        subject: format!("{}: accesso all'area riservata / reserved area access", order.name),
        body: format!(
            "Gentile {name} {surname},\n\n\
             è stato chiesto l'accesso all'area riservata dell'{order} con il suo codice fiscale.\n\
             Per entrare, aprire questo link entro {minutes} minuti (vale una sola volta):\n\n\
             {link}\n\n\
             Se non ha chiesto lei l'accesso, ignori questo messaggio: senza il link nessuno entra.\n\n\
             ---\n\n\
             Dear {name} {surname},\n\n\
             access to the reserved area of {order} was asked for with your codice fiscale.\n\
             To enter, open this link within {minutes} minutes (it works once):\n\n\
             {link}\n\n\
             If you did not ask, ignore this message: without the link nobody gets in.\n",
            name = member.name,
            surname = member.surname,
            order = order.name,
        ),
    }
}

pub fn confirm(order: &StoredOrder, member: &Member, address: &str, link: &str) -> Text {
    Text {
        subject: format!("{}: conferma dell'indirizzo PEC / confirm your PEC address", order.name),
        body: format!(
            "Gentile {name} {surname},\n\n\
             nell'area riservata dell'{order} ha comunicato come suo indirizzo PEC {address}.\n\
             Per confermare che la casella è sua, aprire questo link entro 48 ore:\n\n\
             {link}\n\n\
             Fino alla conferma l'indirizzo non viene registrato né comunicato a INI-PEC.\n\n\
             ---\n\n\
             Dear {name} {surname},\n\n\
             in the reserved area of {order} you gave {address} as your PEC address.\n\
             To confirm that the mailbox is yours, open this link within 48 hours:\n\n\
             {link}\n\n\
             Until it is confirmed the address is neither recorded nor sent to INI-PEC.\n",
            name = member.name,
            surname = member.surname,
            order = order.name,
        ),
    }
}

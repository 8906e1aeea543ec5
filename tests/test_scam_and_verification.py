"""Verification questions, impersonation reports (staff alerted), scams and spam, and greetings."""

from __future__ import annotations

import pytest

from adapters.sandbox import CAPABILITIES as SANDBOX
from bot.evaluate import engine_from
from bot.model import Category
from bot.moderation import ModerationData, classify
from bot.moderation.concepts import find_cues
from bot.moderation.message import read_message
from bot.moderation.text import prepare
from bot.pipeline import handle_text, text_context
from bot.policy import primary_category
from tests.helpers import SURE_ADVERT
from tests.test_threat_cues import CONFIG, CONTEXT, data  # noqa: F401 - `data` is a fixture


def verification_checks(text: str, data: ModerationData) -> list[str]:
    return [f.check for f in classify(text, CONTEXT, data) if f.category is Category.VERIFICATION]


@pytest.mark.parametrize("text", [
    "is this page run by the actual NHS?",
    "can I trust this account, it says it's NHS Leeds",
    "Is the Instagram page with the blue logo yours?",
    "is the text about my smear test from you or a scam?",
    "Is this account legit?",
    "is the page called NHS Leeds Health real?",
])
def test_questions_about_an_account_get_the_verification_answer(text: str, data: ModerationData) -> None:
    found = classify(text, CONTEXT, data)
    assert primary_category(found, SURE_ADVERT) is Category.VERIFICATION, [f.check for f in found]
    assert "verification.impersonation" not in verification_checks(text, data)


@pytest.mark.parametrize("text", [
    "there's a fake NHS account messaging people asking for bank details",
    "someone has made a page with your logo asking for donations",
    "Heads up, a profile calling itself NHS Leeds Vaccines is DMing people for card payments",
    "there's a Facebook group using the NHS name selling covid tests",
    "my nan got a call from a man claiming to be from the surgery wanting her card number",
    "someone is impersonating you on Facebook",
    "Watch out, a fake NHS Leeds page is sharing covid booster links, is it yours?",
    "someone has copied your page and is charging people for jabs",
])
def test_reports_of_an_impersonating_account_alert_staff(text: str, data: ModerationData) -> None:
    found = classify(text, CONTEXT, data)
    assert primary_category(found, SURE_ADVERT) is Category.VERIFICATION, [f.check for f in found]
    assert "verification.impersonation" in verification_checks(text, data)


@pytest.mark.parametrize(("text", "urgency"), [
    ("someone has made a page with your logo asking for donations", "urgent"),
    ("Is this account legit?", "routine"),
])
def test_an_impersonation_report_is_answered_and_alerts_staff_urgently(text: str, urgency: str) -> None:
    decision = handle_text(text, engine_from(CONFIG.parent), text_context(CONTEXT.now, SANDBOX))
    assert [action.template for action in decision.actions if action.kind == "reply"] == ["verification"]
    assert [(action.team, action.urgency.value) for action in decision.actions if action.kind == "alert"] == [("comms", urgency)]


@pytest.mark.parametrize("text", [
    "the real problem is your website keeps crashing",
    "that Facebook post about the flu jab clinic was really useful",
    "my son's got a fake tan disaster, is that an allergy?",
    "got a scam call about my car insurance, nothing to do with you, just moaning",
])
def test_near_misses_are_not_impersonation_reports(text: str, data: ModerationData) -> None:
    assert "verification.impersonation" not in verification_checks(text, data)


@pytest.mark.parametrize("text", ["hello", "hi there", "thanks", "thank you so much", "cheers", "ta", "👍", "thanks again x", "Morning all!"])
def test_greetings_and_thanks_are_ordinary(text: str, data: ModerationData) -> None:
    assert primary_category(classify(text, CONTEXT, data), SURE_ADVERT) is Category.ORDINARY


def test_a_greeting_before_a_complaint_still_counts(data: ModerationData) -> None:
    assert primary_category(classify("hello, my appointment was cancelled again", CONTEXT, data), SURE_ADVERT) is Category.COMPLAINT


def spam_checks(text: str, data: ModerationData) -> list[str]:
    return [f.check for f in classify(text, CONTEXT, data) if f.category is Category.SPAM]


@pytest.mark.parametrize(("text", "cue"), [
    ("Made a fortune with ethereum staking this month, inbox me and I'll show you how", "money_contact"),
    ("Hit my first big payout with my trading coach, message her on WhatsApp", "money_contact"),
    ("Locked out after a scam? Our recovery experts will get your funds back, reach out on Telegram", "recovery"),
    ("Evri: your parcel could not be delivered, reschedule and pay the £1.20 fee at evri-redelivery.info", "sms"),
    ("NHS: your prescription payment failed, update your card today at nhs-pay-online.com", "sms"),
    ("Slimming gummies that actually work, 2 stone down, check my bio", "dm_offer"),
    ("10k followers for your page overnight, dm for details", "dm_offer"),
    ("Quick loans, no credit checks, apply online today", "dm_offer"),
    ("HSBC: your card is frozen, verify now https://hsbc-secure.example.net", "demand_link"),
    ("Lost your wallet keys? Our team unlocked mine in a day, dm now", "recovery"),
    # round 9: the testimony's loss, then sentences later who to contact
    ("My dad was scammed out of £23,000 by a fake forex site. The bank did nothing. Helen Ward got it sorted, "
     "message her on Telegram", "recovery"),
    # round 3: a bare link on a cheap domain is a link too
    ("Evri: reschedule your delivery, a small fee applies: evri-rebook.top", "sms"),
    # ... and its link may sit in the next sentence
    ("DVLA: your car tax payment has failed. Update your details at dvla-tax-renew.site", "sms"),
    ("Your parcel is on hold with an unpaid fee. Pay today: parcel-hold.top", "demand_link"),
])
def test_each_scam_cue_family_finds_scams(text: str, cue: str, data: ModerationData) -> None:
    message = read_message(text, data.lexicon, data.idioms, data.screen, data.questions)
    assert cue in {match.combo for match in find_cues(data.spam.cues, message)}
    assert primary_category(classify(text, CONTEXT, data), SURE_ADVERT) is Category.SPAM, [f.check for f in classify(text, CONTEXT, data)]


@pytest.mark.parametrize("text", [
    "I got a text saying my parcel had a fee to pay, is this a scam? it didn't look right",
    "my mum got a text asking her to pay for a covid test, I told her to ignore it",
    "do I have to pay for my prescription if I'm on universal credit?",
    "can someone dm me about my referral, it's been 6 weeks",
    "Please can you share the link for the mental health self referral? thanks",
    "@NHSLeeds any updates please",
    "Is the free flu jab at the pharmacy, details on www.nhs.uk/flu please?",
    "I lost access to the NHS app after changing my phone, who can help?",
    "My prescription payment failed at the chemist. Is there a number I can ring?",   # a demand, no link
])
def test_scam_talk_and_ordinary_requests_are_not_spam(text: str, data: ModerationData) -> None:
    assert not spam_checks(text, data)


@pytest.mark.parametrize(("text", "links"), [
    ("claim at gov-uk-rebate.help now", 1),
    ("evri-rebook.top", 1),
    ("win big at lucky-spins.vip or prizes.club", 2),
    ("the top.of the morning", 0),                 # no domain ending
    ("see you at 3.30 on Monday", 0),
])
def test_bare_links_on_cheap_domains_are_links(text: str, links: int) -> None:
    # SMS scams send a bare domain on a cheap ending (.top, .help, .vip): the scam cues need it read as a link.
    assert prepare(text).words.count("<url>") == links


def test_the_spam_model_learnt_nothing_from_handles(data: ModerationData) -> None:
    # Every reply on X opens with an @handle: it must not count towards spam.
    assert "<user>" in data.spam.model.words_without
    assert not any("<user>" in feature.split(" ") for feature in data.spam.model.weights)


@pytest.mark.parametrize("text", ["https://t.co/X1abc", "wow https://t.co/X1abc", "omg pic.twitter.com/abc123"])
def test_the_spam_model_is_not_asked_about_a_bare_link_and_a_word(text: str, data: ModerationData) -> None:
    # A link and a word or two give a large normalised score (0.9 to 1.0) that means nothing.
    message = read_message(text, data.lexicon, data.idioms, data.screen, data.questions)
    assert data.spam.model.known(data.spam.model.features_for(message.words, message.feats)) < data.spam.model_min_features
    assert not spam_checks(text, data)


@pytest.mark.parametrize("text", [
    "heads up, a fake page using your logo is running a giveaway, DM them to claim a free iphone",
    "is this really you? a profile with your name says I've won a prize and to message them on whatsapp",
])
def test_a_warning_that_quotes_a_scam_is_answered_not_hidden(text: str) -> None:
    decision = handle_text(text, engine_from(CONFIG.parent), text_context(CONTEXT.now, SANDBOX))
    assert decision.category is Category.VERIFICATION
    assert [action.template for action in decision.actions if action.kind == "reply"] == ["verification"]
    assert not any(action.kind == "hide" for action in decision.actions)


def test_a_recovery_offer_naming_an_impersonator_is_still_spam() -> None:
    text = "Scammed by an account impersonating NHS Leeds? Our recovery experts got my funds back, DM them on whatsapp"
    decision = handle_text(text, engine_from(CONFIG.parent), text_context(CONTEXT.now, SANDBOX))
    assert decision.category is Category.SPAM
    assert any(action.kind == "hide" for action in decision.actions)


@pytest.mark.parametrize("text", [
    "Is the Leeds Health Hub group on facebook one of yours or not?",
    "How can I tell whether the page I'm talking to is the proper NHS one?",
])
def test_more_ways_of_asking_whether_a_page_is_ours(text: str, data: ModerationData) -> None:
    assert primary_category(classify(text, CONTEXT, data), SURE_ADVERT) is Category.VERIFICATION


def test_a_caller_at_the_door_claiming_to_be_community_staff_is_reported(data: ModerationData) -> None:
    text = "a man at the door said he was from the district nurses and wanted cash for dressings"
    assert "verification.impersonation" in verification_checks(text, data)
    assert "verification.impersonation" not in verification_checks("my mum said she was at the doctors all morning", data)


# -- round 5: verification is never hidden; copies of our page; "are you real"; scams in more words --
@pytest.mark.parametrize("text", [
    "is the number 07700 900456 that keeps texting me about a refund actually yours?",
    "Got an email from prescriptions.team@example.com saying it's the surgery, is that really you?",
])
def test_a_verification_question_quoting_a_number_or_email_is_answered_not_hidden(text: str) -> None:
    # The number is the one being asked about, not the author's private detail.
    decision = handle_text(text, engine_from(CONFIG.parent), text_context(CONTEXT.now, SANDBOX))
    assert decision.category is Category.VERIFICATION, [f.check for f in decision.findings]
    assert not any(action.kind in ("hide", "delete") for action in decision.actions)


def test_a_private_detail_beside_verification_still_counts(data: ModerationData) -> None:
    # An NHS number is the author's own detail whatever else the message asks.
    text = "someone rang saying they were from the surgery and read out my NHS number 943 476 5919, is that really you?"
    assert primary_category(classify(text, CONTEXT, data), SURE_ADVERT) is Category.OVERSHARING


@pytest.mark.parametrize("text", [
    "your facebook page has been cloned, the copy keeps sending my friends links",
    "there's a lookalike account with a similar name to yours asking folk for donations",
    "someone's copying your posts on instagram and asking for card details in the comments",
    "a woman rang my dad saying she works for the GP surgery and wanted his bank details",
])
def test_reports_of_a_copy_of_our_page_or_a_caller_alert_staff(text: str, data: ModerationData) -> None:
    assert primary_category(classify(text, CONTEXT, data), SURE_ADVERT) is Category.VERIFICATION, [f.check for f in classify(text, CONTEXT, data)]
    assert "verification.impersonation" in verification_checks(text, data)


@pytest.mark.parametrize("text", [
    "are you lot actually real or a bot?",
    "does the surgery really send texts asking for payment?",
    "can someone tell me if this page is genuinely run by the hospital?",
    "is this legit or a scam? the link in the comments above",
])
def test_asking_whether_we_are_real_gets_the_verification_answer(text: str, data: ModerationData) -> None:
    assert primary_category(classify(text, CONTEXT, data), SURE_ADVERT) is Category.VERIFICATION, [f.check for f in classify(text, CONTEXT, data)]
    assert "verification.impersonation" not in verification_checks(text, data)


@pytest.mark.parametrize("text", [
    "can I get a copy of my discharge letter?",
    "I copied the link from the text but the page won't open",
    "my twins have the same name as their cousins, will their records get mixed up?",
    "do you trust the flu jab this year?",
    "are you open on boxing day? real question",
])
def test_copies_and_real_things_that_are_not_about_us_are_not_verification(text: str, data: ModerationData) -> None:
    assert not verification_checks(text, data)


@pytest.mark.parametrize(("text", "cue"), [
    ("Lost my savings to a fake broker but an ethical hacker got every penny back, highly recommend", "recovery"),
    ("Mums who want to be their own boss this year, pm me", "dm_offer"),
    ("semaglutide in stock again, £70 a pen, pm me", "dm_offer"),
    ("Slimming coffee that melts fat overnight, price list in my dms", "dm_offer"),
    ("Turned £300 into £4k with bitcoin mining in a fortnight, pm me", "money_contact"),
    ("NHS: your blood test results are on hold. Log in to view: nhs-results-portal.top", "demand_link"),
    ("Yodel: your package is being held, reschedule at yodel-redeliver.top", "sms"),
])
def test_round5_scam_wordings_find_their_cue(text: str, cue: str, data: ModerationData) -> None:
    message = read_message(text, data.lexicon, data.idioms, data.screen, data.questions)
    assert cue in {match.combo for match in find_cues(data.spam.cues, message)}
    assert primary_category(classify(text, CONTEXT, data), SURE_ADVERT) is Category.SPAM


@pytest.mark.parametrize("text", [
    "my grandad keeps getting messages from people offering bitcoin investments, how do we report them?",
    "my aunt nearly fell for a crypto trading thing on whatsapp, who should I tell?",
    "Will my hospital letters follow me if I move to a new practice?",
    "can you register at a gp without a passport?",
    "is the weight management service still running? my GP said to message the team",
    "quick one, would the hospital ever contact patients on WhatsApp about a cancelled scan?",
    "Does the bank ever text you a link to move your savings? Mine just did",
])
def test_talk_about_scams_and_everyday_questions_are_not_spam(text: str, data: ModerationData) -> None:
    assert not spam_checks(text, data)


def test_a_fake_site_that_is_not_ours_makes_no_impersonation_report(data: ModerationData) -> None:
    # Recovery scammers name someone else's fake site; a report of impersonation needs our name, page or logo.
    text = "If anyone has lost money to a fake trading site, a lady helped me get mine back, message me for her details"
    assert "verification.impersonation" not in verification_checks(text, data)
    assert primary_category(classify(text, CONTEXT, data), SURE_ADVERT) is Category.SPAM


# Round 7: a warning about a scam, or a question whether something received is one, quotes the scam's
# words but gives no way to answer it; an advert always does (a link, a handle, a number, "DM me").
@pytest.mark.parametrize("text", [
    "Scam warning for Horsforth: texts saying 'your TV licence payment failed, £6.50 to restore' are going round again",
    "Beware of the 'free Tesco hamper for NHS staff' post everyone's sharing, my cousin filled it in and her card got emptied",
    "had a text saying I'd won £500 of Argos vouchers for a survey I never did. that's a scam isn't it?",
    "Someone's messaged my mum saying she can make £2k a week trading bitcoin with an account manager. Surely this is a con?",
    "Watch out everyone, there's a bloke in the comments selling 'weight loss jabs' with no prescription. Please don't reply to him",
])
def test_a_warning_about_a_scam_with_nothing_to_answer_is_not_spam(text: str, data: ModerationData) -> None:
    assert not spam_checks(text, data)
    assert primary_category(classify(text, CONTEXT, data), SURE_ADVERT) is not Category.SPAM


@pytest.mark.parametrize("text", [
    "Beware of fake brokers!! I lost £8k before Mr Alan Price recovered funds for me, WhatsApp him on +44 7700 900512",
    "Watch out for scams out there, but this one is real: £300 a day from home, DM me READY to start",
    "Is this real?? I turned £200 into £3,100 with @jess_fx_trades in a week, message her now",
    "Be careful who you trust online, my hacker got my Instagram back in an hour. Contact @fixitfast_uk on IG",
])
def test_a_scam_that_opens_with_a_warning_but_gives_a_contact_is_still_spam(text: str, data: ModerationData) -> None:
    assert spam_checks(text, data)
    assert primary_category(classify(text, CONTEXT, data), SURE_ADVERT) is Category.SPAM


# Round 7: SMS prize scams in the forms Ofcom and the Phone-paid Services Authority warn of.
@pytest.mark.parametrize("text", [
    "URGENT! Ur mobile no. has won a £2,000 bonus caller prize. To claim call 09050000321 before midnight",
    "Congrats! FREE entry into our £250 weekly comp, just txt GO to 81010 now. 18+ T&Cs",
    "As a valued customer u have been chosen as a winner of a £150 M&S gift card. Reply YES to 62468, txt STOP to end",
])
def test_sms_prize_scams_are_spam_by_their_wording(text: str, data: ModerationData) -> None:
    assert "spam.pattern" in spam_checks(text, data)


@pytest.mark.parametrize("text", [
    "If you're struggling tonight, text SHOUT to 85258, it's free and they helped me win back some sleep",
    "Text from the surgery: flu clinic Saturday, walk in, no need to book. Reply STOP to opt out of reminders",
    "Anyone know if 0300 numbers are free to call from a mobile? The clinic gave me one",
])
def test_short_codes_and_opt_outs_in_everyday_texts_are_not_prize_scams(text: str, data: ModerationData) -> None:
    assert "spam.pattern" not in spam_checks(text, data)


def test_a_complaint_quoting_a_discount_is_not_hidden(data: ModerationData) -> None:
    # Listed until round 7, "N% off" hid customers' complaints that quote an offer they were promised.
    decision = handle_text("Your 20% off code for NHS staff doesn't work at checkout, tried three times now",
                           engine_from(CONFIG.parent), text_context(CONTEXT.now, SANDBOX))
    assert not any(action.kind == "hide" for action in decision.actions)
